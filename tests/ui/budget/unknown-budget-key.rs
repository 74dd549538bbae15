staticnet::network! {
    #[budget(flash = 8192)]
    pub struct Sine {
        input: [1],
        dense(16), relu,
        dense(1),
    }
}

fn main() {}
