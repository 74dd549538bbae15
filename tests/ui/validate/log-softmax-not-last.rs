staticnet::network! {
    struct Net {
        input: [4],
        dense(8), log_softmax,
        dense(2),
    }
}

fn main() {}
