staticnet::network! {
    struct Net {
        input: [1, 28, 28],
        patchify(5),
        dense(32),
    }
}

fn main() {}
