staticnet::network! {
    struct Net {
        input: [4],
        dense(10, bias = true, bias = false),
    }
}

fn main() {}
