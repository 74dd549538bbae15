staticnet::network! {
    struct Net {
        input: [1, 3, 3],
        conv2d(2, 5),
    }
}

fn main() {}
