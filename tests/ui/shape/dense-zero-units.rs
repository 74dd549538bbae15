staticnet::network! {
    struct Net {
        input: [4],
        dense(0),
    }
}

fn main() {}
