staticnet::network! {
    #[staticnet(quantize, quantize)]
    struct Net {
        input: [4],
        dense(2),
    }
}

fn main() {}
