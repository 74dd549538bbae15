staticnet::network! {
    struct Net {
        dense(10),
        input: [4],
    }
}

fn main() {}
