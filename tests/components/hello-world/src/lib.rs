//! The smallest HTTP component: every request gets 200 `ok`. It uses wasi:http alone (no
//! Spin SDK, no Spin imports), so the benchmark can run the very same component on this
//! host and on any other wasi:http runtime, such as `wasmtime serve`.

use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

struct Hello;

impl wasi::exports::http::incoming_handler::Guest for Hello {
    fn handle(_request: IncomingRequest, out: ResponseOutparam) {
        const BODY: &[u8] = b"ok";
        let headers = Fields::from_list(&[
            ("content-type".to_owned(), b"text/plain".to_vec()),
            (
                "content-length".to_owned(),
                BODY.len().to_string().into_bytes(),
            ),
        ])
        .expect("valid headers");
        let response = OutgoingResponse::new(headers);
        let body = response.body().expect("the body is taken once");
        ResponseOutparam::set(out, Ok(response));
        let stream = body.write().expect("the stream is taken once");
        // The client may have gone; there is no one left to tell then.
        let _ = stream.blocking_write_and_flush(BODY);
        drop(stream);
        let _ = OutgoingBody::finish(body, None);
    }
}

wasi::http::proxy::export!(Hello);
