staticnet::network! {
    #[staticnet(quantize(dense_bits = 3))]
    struct Net {
        input: [4],
        dense(2),
    }
}

fn main() {}
