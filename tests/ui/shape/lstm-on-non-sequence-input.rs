staticnet::network! {
    struct Net {
        input: [784],
        lstm(64),
        dense(10),
    }
}

fn main() {}
