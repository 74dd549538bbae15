staticnet::network! {
    struct Net {
        input: [1, 2, 2],
        maxpool2d(3),
    }
}

fn main() {}
