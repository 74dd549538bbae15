staticnet::network! {
    struct Net {
        input: [4],
        dense(10, 20),
    }
}

fn main() {}
