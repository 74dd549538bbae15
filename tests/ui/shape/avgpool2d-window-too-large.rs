staticnet::network! {
    struct Net {
        input: [1, 5, 1],
        avgpool2d((2, 2)),
    }
}

fn main() {}
