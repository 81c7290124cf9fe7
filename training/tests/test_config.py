import pytest

from training.config import ConfigError, TrainingConfig, build_config

pytestmark = pytest.mark.nodb


def test_defaults_are_protective_fine_tuning():
    config = build_config()
    assert config == TrainingConfig()
    assert config.backbone == "dlib-resnet"
    assert config.pretrained
    assert config.freeze_backbone
    assert config.patience > 0
    assert config.head_warmup_epochs > 0
    assert config.effective_embedding_size == 128
    assert config.lr is None
    assert config.effective_lr == 1e-5
    assert build_config(overrides={"backbone": "resnet18"}).effective_lr == 1e-3


def test_file_overrides_defaults_and_options_override_file(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('backbone = "resnet18"\nepochs = 7\nlr = 0.01\nmargin = 0.4\nembedding_size = 64\n')
    config = build_config(file=path, overrides={"epochs": 2, "lr": None, "seed": 5})
    assert config.backbone == "resnet18"  # from the file
    assert config.epochs == 2  # the option wins over the file
    assert config.lr == 0.01  # option not given (None): the file's value stays
    assert config.margin == 0.4
    assert config.seed == 5
    assert config.effective_embedding_size == 64
    assert config.batch_size == TrainingConfig().batch_size  # neither: the default


def test_resumed_config_is_the_base_under_file_and_options(tmp_path):
    base = TrainingConfig(epochs=3, lr=0.002, seed=9).to_dict()
    config = build_config(base=base, overrides={"epochs": 6})
    assert (config.epochs, config.lr, config.seed) == (6, 0.002, 9)


def test_validation_holds_out_identities_unless_images_are_asked_for():
    config = build_config()
    assert (config.val_mode, config.val_identities, config.val_split) == ("identities", 0.25, None)
    assert build_config(overrides={"val_identities": 5}).val_identities == 5
    images = build_config(overrides={"val_mode": "images"})
    assert images.effective_val_split == 0.25
    assert build_config(overrides={"val_mode": "images", "val_split": 0.4}).effective_val_split == 0.4
    # Giving a per-image fraction asks for the per-image split.
    asked = build_config(overrides={"val_split": 0.4})
    assert (asked.val_mode, asked.effective_val_split) == ("images", 0.4)


def test_a_checkpoint_from_before_identity_validation_resumes_with_its_per_image_split():
    old = TrainingConfig(epochs=3).to_dict()
    del old["val_mode"], old["val_identities"], old["min_val_pairs"]
    old["val_split"] = 0.4
    config = build_config(base=old)
    assert (config.val_mode, config.val_split) == ("images", 0.4)


def test_training_table_and_example_config_are_valid():
    from pathlib import Path

    import training

    example = Path(training.__file__).parent / "example_config.toml"
    assert build_config(file=example) == TrainingConfig()


def test_training_table(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[training]\nepochs = 4\n")
    assert build_config(file=path).epochs == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epochs = 0", "epochs must be at least 1"),
        ("epochs = 2.5", "epochs must be an integer"),
        ('lr = "fast"', "lr must be a number"),
        ("freeze_backbone = 1", "freeze_backbone must be true or false"),
        ('backbone = "vgg"', "backbone must be one of"),
        ('optimizer = "adam"', "optimizer must be one of"),
        ('val_mode = "images"\nval_split = 1.0', "val_split must be between 0 and 1"),
        ('val_mode = "identities"\nval_split = 0.3', 'needs val_mode = "images"'),
        ('val_mode = "people"', "val_mode must be one of"),
        ("val_identities = 2.5", "whole number of identities"),
        ("val_identities = 0", "val_identities must be"),
        ("min_val_pairs = 0", "min_val_pairs must be at least 1"),
        ("margin = 3.0", "margin must be in"),
        ("epoch = 3", "Unknown option"),
        ("embedding_size = 64", "dlib-resnet produces 128-d"),
        ("epochs = ", "not valid TOML"),
    ],
)
def test_invalid_config_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message):
        build_config(file=path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        build_config(file=tmp_path / "nope.toml")


def test_invalid_option_override():
    with pytest.raises(ConfigError, match="batch_size must be at least"):
        build_config(overrides={"batch_size": 0})
