staticnet::network! {
    #[staticnet(quantize)]
    struct Net {
        input: [5, 4],
        dense(3),
    }
}

fn main() {}
