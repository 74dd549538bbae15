staticnet::network! {
    #[staticnet(quantize)]
    struct Net {
        input: [4],
        dense(8), tanh,
        dense(2),
    }
}

fn main() {}
