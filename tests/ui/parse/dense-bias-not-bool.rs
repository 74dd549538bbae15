staticnet::network! {
    struct Net {
        input: [4],
        dense(10, bias = 1),
    }
}

fn main() {}
