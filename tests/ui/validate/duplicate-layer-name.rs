staticnet::network! {
    struct Net {
        input: [4],
        hidden: dense(8), relu,
        hidden: dense(2),
    }
}

fn main() {}
