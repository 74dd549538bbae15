staticnet::network! {
    struct Net {
        input: [784],
        conv2d(6, 5),
    }
}

fn main() {}
