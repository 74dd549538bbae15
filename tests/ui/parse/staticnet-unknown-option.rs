staticnet::network! {
    #[staticnet(krate = "staticnet")]
    struct Net {
        input: [4],
        dense(2),
    }
}

fn main() {}
