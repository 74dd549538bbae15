staticnet::network! {
    struct Net {
        input: [4],
        dense(10), gelu(approximate = "fast"),
    }
}

fn main() {}
