staticnet::network! {
    struct Net {
        input: [1, 8, 8],
        maxpool2d,
    }
}

fn main() {}
