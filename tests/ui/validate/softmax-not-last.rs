staticnet::network! {
    struct Net {
        input: [4],
        dense(8), softmax,
        dense(2),
    }
}

fn main() {}
