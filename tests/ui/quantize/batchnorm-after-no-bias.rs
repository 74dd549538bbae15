staticnet::network! {
    #[staticnet(quantize)]
    struct Net {
        input: [2, 6, 6],
        conv2d(3, 3, bias = false), batchnorm,
        flatten, dense(2),
    }
}

fn main() {}
