// The one function durable-functions takes from validator (isURL), without the other hundred:
// the whole library is 130 KB of the bundle that every cold start would load.
'use strict';
module.exports = { isURL: require('validator/lib/isURL').default };
