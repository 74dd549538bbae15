staticnet::network! {
    struct Net {
        input: [4],
        dense(8),
        dense0: dense(2),
    }
}

fn main() {}
