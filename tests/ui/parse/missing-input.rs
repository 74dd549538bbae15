staticnet::network! {
    struct Net {
        dense(10),
    }
}

fn main() {}
