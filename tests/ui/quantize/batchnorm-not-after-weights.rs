staticnet::network! {
    #[staticnet(quantize)]
    struct Net {
        input: [2, 6, 6],
        maxpool2d(2), batchnorm,
        flatten, dense(2),
    }
}

fn main() {}
