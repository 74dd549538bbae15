staticnet::network! {
    struct Net {
        input: [4],
        input: [5],
        dense(10),
    }
}

fn main() {}
