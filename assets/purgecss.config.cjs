// PurgeCSS keeps only the Bootstrap selectors the pages use: classes are looked for in the
// templates, the page scripts and the Python code that names classes. Classes built at render
// time from a variable (alert-{{ category }}, text-bg-{{ colour }}) and the states Bootstrap's
// script adds are kept by the safelist. Run `make css` after using a new Bootstrap class;
// tests/core/test_assets.py fails until you do.
module.exports = {
  css: ["bootstrap.min.css"],
  content: [
    "../templates/**/*.html",
    "../static/js/**/*.js",
    "../core/**/*.py",
    "../contests/**/*.py",
    "../campaign/**/*.py",
  ],
  safelist: {
    standard: [
      /^alert-/, /^text-bg-/, /^btn-/, /^bg-/, /^text-/, /^border-/, /^badge/,
      "show", "showing", "hiding", "collapsing", "fade", "active", "disabled",
      "dropdown-menu-end", "is-invalid", "is-valid", "was-validated",
    ],
  },
  fontFace: false,
  keyframes: true,
  variables: false,
};
