staticnet::network! {
    struct Net {
        input: [28, 28],
        embedding(10, 4),
        lstm(8),
    }
}

fn main() {}
