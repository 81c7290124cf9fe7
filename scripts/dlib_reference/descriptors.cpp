// Reference descriptors from real dlib for the PyTorch port's parity test.
//
//   descriptors MODEL.dat CHIPS.u8 COUNT OUT_RAW.txt OUT_NORMALISED.txt
//
// CHIPS.u8 holds COUNT aligned 150x150 RGB chips as raw bytes (row-major, R G B per pixel),
// so no image codec stands between the committed PNGs and the network. The network type is
// dlib's `anet_type` from examples/dnn_face_recognition_ex.cpp (dlib 19.24), written out
// here. OUT_RAW gets net(chip), dlib's unnormalised descriptor; OUT_NORMALISED the same
// vectors divided by their L2 norm (in double). One chip per line, 128 values, "%.9g" (a
// float32 round-trips exactly).
#include <dlib/dnn.h>
#include <dlib/revision.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace dlib;

template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;

template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;

template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;

using anet_type = loss_metric<fc_no_bias<128, avg_pool_everything<
                              alevel0<
                              alevel1<
                              alevel2<
                              alevel3<
                              alevel4<
                              max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2,
                              input_rgb_image_sized<150>
                              >>>>>>>>>>>>;

static void write_rows(const std::string& path, const std::vector<matrix<float, 0, 1>>& rows, bool normalise) {
    FILE* out = std::fopen(path.c_str(), "w");
    if (!out) throw std::runtime_error("cannot write " + path);
    for (const auto& row : rows) {
        double norm = 0;
        for (long i = 0; i < row.size(); ++i) norm += double(row(i)) * double(row(i));
        norm = std::sqrt(norm);
        for (long i = 0; i < row.size(); ++i) {
            const float value = normalise ? float(double(row(i)) / norm) : row(i);
            std::fprintf(out, i ? " %.9g" : "%.9g", value);
        }
        std::fprintf(out, "\n");
    }
    std::fclose(out);
}

int main(int argc, char** argv) try {
    if (argc != 6) {
        std::cerr << "usage: " << argv[0] << " MODEL.dat CHIPS.u8 COUNT OUT_RAW.txt OUT_NORMALISED.txt\n";
        return 2;
    }
    anet_type net;
    deserialize(argv[1]) >> net;

    const long count = std::atol(argv[3]);
    const long side = 150;
    std::ifstream in(argv[2], std::ios::binary);
    std::vector<unsigned char> bytes(count * side * side * 3);
    in.read(reinterpret_cast<char*>(bytes.data()), bytes.size());
    if (in.gcount() != static_cast<std::streamsize>(bytes.size()) || in.peek() != EOF)
        throw std::runtime_error("CHIPS.u8 does not hold exactly COUNT 150x150x3 chips");

    std::vector<matrix<rgb_pixel>> chips(count);
    for (long n = 0; n < count; ++n) {
        chips[n].set_size(side, side);
        const unsigned char* p = bytes.data() + n * side * side * 3;
        for (long r = 0; r < side; ++r)
            for (long c = 0; c < side; ++c, p += 3) chips[n](r, c) = rgb_pixel(p[0], p[1], p[2]);
    }
    // One chip at a time, as face_recognition / dlib's Python binding call it.
    std::vector<matrix<float, 0, 1>> descriptors;
    for (const auto& chip : chips) descriptors.push_back(net(chip));

    write_rows(argv[4], descriptors, false);
    write_rows(argv[5], descriptors, true);
    std::cout << "dlib " << DLIB_MAJOR_VERSION << "." << DLIB_MINOR_VERSION << "." << DLIB_PATCH_VERSION
              << ": " << descriptors.size() << " descriptors\n";
    return 0;
} catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
}
