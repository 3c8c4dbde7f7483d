//! A component that misbehaves on request, so end-to-end tests can check that the host
//! contains it: `/ok`, `/trap`, `/loop`, `/alloc`, `/fetch?url=`, `/file?path=`, `/env/<name>`, `/cas/<key>`,
//! `/increment/<key>`, `/var/<name>`.

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

mod keyvalue {
    wit_bindgen::generate!({
        path: "../../../host/wit/keyvalue@0.2.0-draft2",
        world: "wasi:keyvalue/imports",
        generate_all,
    });
}

use keyvalue::wasi::keyvalue::{atomics, store};

fn text(status: u16, body: impl Into<String>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(body.into())
        .build()
}

#[http_component]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let path = req.path().to_owned();
    let query = req.query().to_owned();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let op = parts.next().unwrap_or_default();
    let arg = parts.next().unwrap_or_default().to_owned();
    Ok(match op {
        "ok" => text(200, "ok"),
        "trap" => panic!("trap requested"),
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "alloc" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 16 * 1024 * 1024]);
                std::hint::black_box(&hoard);
            }
        }
        "fetch" => {
            let url = query.strip_prefix("url=").unwrap_or_default().to_owned();
            match spin_sdk::http::send::<_, Response>(Request::get(url)).await {
                Ok(resp) => text(200, format!("status {}", resp.status())),
                Err(err) => text(502, format!("denied or failed: {err}")),
            }
        }
        "file" => {
            let path = query.strip_prefix("path=").unwrap_or("/etc/passwd");
            match std::fs::read_to_string(path) {
                Ok(content) => text(200, content),
                Err(err) => text(403, format!("no file access: {err}")),
            }
        }
        "env" => match std::env::var(&arg) {
            Ok(value) => text(200, value),
            Err(_) => text(404, "unset"),
        },
        "var" => match spin_sdk::variables::get(&arg) {
            Ok(value) => text(200, value),
            Err(err) => text(404, format!("{err}")),
        },
        "kv-get" => {
            let store = spin_sdk::key_value::Store::open_default()?;
            match store.get(&arg)? {
                Some(value) => text(200, String::from_utf8_lossy(&value).into_owned()),
                None => text(404, "no such key"),
            }
        }
        "kv-set" => {
            let store = spin_sdk::key_value::Store::open_default()?;
            store.set(&arg, query.as_bytes())?;
            text(200, "stored")
        }
        "increment" => {
            let bucket = store::open("default").map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let value =
                atomics::increment(&bucket, &arg, 1).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            text(200, value.to_string())
        }
        "cas" => {
            // Appends one byte to the value under CAS, retrying on conflict; returns retries.
            let bucket = store::open("default").map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let mut retries = 0u32;
            let mut cas = atomics::Cas::new(&bucket, &arg).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            loop {
                let mut value = cas
                    .current()
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?
                    .unwrap_or_default();
                value.push(b'x');
                match atomics::swap(cas, &value) {
                    Ok(()) => break text(200, retries.to_string()),
                    Err(atomics::CasError::CasFailed(fresh)) => {
                        retries += 1;
                        cas = fresh;
                    }
                    Err(atomics::CasError::StoreError(e)) => break text(500, format!("{e:?}")),
                }
            }
        }
        _ => text(404, "unknown probe"),
    })
}
