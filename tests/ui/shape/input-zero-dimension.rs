staticnet::network! {
    struct Net {
        input: [3, 0],
        dense(10),
    }
}

fn main() {}
