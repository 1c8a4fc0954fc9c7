//! Reaching browser objects through `Reflect` (`fetch`, `XMLHttpRequest`, `File`, the clipboard's
//! and a drop's `DataTransfer`): a few generic calls instead of a web-sys feature per object,
//! which keeps the wasm small.

use wasm_bindgen::{JsCast, JsValue};

/// `obj[key]`, `undefined` when absent.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value`.
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Calls `obj.method(args...)` and returns what it gave back.
pub fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let f = get(obj, method).dyn_into::<js_sys::Function>().ok()?;
    f.apply(obj, &args.iter().collect::<js_sys::Array>()).ok()
}
