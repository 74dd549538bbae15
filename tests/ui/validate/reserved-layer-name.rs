staticnet::network! {
    struct Net {
        input: [4],
        rng: dense(2),
    }
}

fn main() {}
