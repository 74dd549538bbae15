staticnet::network! {
    struct Net {
        input: [4],
        dense(1.5),
    }
}

fn main() {}
