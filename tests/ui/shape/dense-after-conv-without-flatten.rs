staticnet::network! {
    struct Net {
        input: [1, 28, 28],
        conv2d(6, 5), relu,
        dense(10),
    }
}

fn main() {}
