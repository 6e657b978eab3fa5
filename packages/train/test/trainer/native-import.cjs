// Node's own dynamic import, for tests: loaded with Node's CommonJS loader (not jest's), this function
// lives outside jest's VM context, so its import() is the real one (ES modules, top-level await).
module.exports = (specifier) => import(specifier);
