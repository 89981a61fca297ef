// The automation rule's condition builder: rows of (field, operator, value) joined by all / any,
// written into the condition textarea as a rule-engine expression. An expression the builder cannot
// show (parentheses, mixed and/or, arithmetic…) stays editable as text; the server validates on save.
(function () {
  "use strict";
  var NUMBER_OPS = ["==", "!=", ">", ">=", "<", "<="];
  var STRING_OPS = ["==", "!=", "starts", "contains", "regex"];
  var META = /[.*+?^${}()|[\]\\]/g;

  function opsFor(kind) {
    if (kind === "number") return NUMBER_OPS;
    if (kind === "string") return STRING_OPS;
    if (kind === "boolean") return ["true", "false"];
    return ["has"];
  }

  // Split at top-level `and` / `or` (outside strings); null if parentheses or both joiners are used.
  function splitClauses(text) {
    var parts = [], joiner = null, current = "", i = 0, quote = null;
    while (i < text.length) {
      var ch = text[i];
      if (quote) {
        current += ch;
        if (ch === "\\") { current += text[i + 1] || ""; i += 2; continue; }
        if (ch === quote) quote = null;
        i += 1; continue;
      }
      if (ch === '"' || ch === "'") { quote = ch; current += ch; i += 1; continue; }
      if (ch === "(" || ch === ")") return null;
      var rest = text.slice(i);
      var m = /^\s+(and|or)\s+/.exec(rest);
      if (m) {
        if (joiner && joiner !== m[1]) return null;
        joiner = m[1]; parts.push(current.trim()); current = ""; i += m[0].length; continue;
      }
      current += ch; i += 1;
    }
    if (quote) return null;
    parts.push(current.trim());
    return {joiner: joiner || "and", parts: parts};
  }

  function parseString(literal) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(literal)) return null;
    try { return JSON.parse(literal); } catch (e) { return null; }
  }

  function unescapeLiteral(pattern) {
    // A regular expression that is only an escaped literal: the literal; otherwise null.
    var out = "", i = 0;
    while (i < pattern.length) {
      var ch = pattern[i];
      if (ch === "\\") { if (i + 1 >= pattern.length || !/[.*+?^${}()|[\]\\]/.test(pattern[i + 1])) return null; out += pattern[i + 1]; i += 2; continue; }
      if (/[.*+?^${}()|[\]]/.test(ch)) return null;
      out += ch; i += 1;
    }
    return out;
  }

  function parseClause(text, fields) {
    var m;
    if ((m = /^not\s+(\w+)$/.exec(text)) && fields[m[1]] && fields[m[1]].kind === "boolean") return {field: m[1], op: "false", value: ""};
    if ((m = /^(\w+)$/.exec(text)) && fields[m[1]] && fields[m[1]].kind === "boolean") return {field: m[1], op: "true", value: ""};
    if ((m = /^("(?:[^"\\]|\\.)*")\s+in\s+(\w+)$/.exec(text)) && fields[m[2]] && fields[m[2]].kind === "array") {
      return {field: m[2], op: "has", value: parseString(m[1])};
    }
    m = /^(\w+)\s*(==|!=|>=|<=|>|<|=~)\s*(.+)$/.exec(text);
    if (!m || !fields[m[1]]) return null;
    var kind = fields[m[1]].kind, op = m[2], raw = m[3].trim();
    if (kind === "number") {
      if (op === "=~" || !/^-?\d+(\.\d+)?$/.test(raw)) return null;
      return {field: m[1], op: op, value: raw};
    }
    if (kind === "boolean" && (op === "==" || op === "!=") && (raw === "true" || raw === "false")) {
      return {field: m[1], op: (raw === "true") === (op === "==") ? "true" : "false", value: ""};
    }
    if (kind !== "string") return null;
    var value = parseString(raw);
    if (value === null) return null;
    if (op === "==" || op === "!=") return {field: m[1], op: op, value: value};
    if (op !== "=~") return null;
    if (value.charAt(0) === "^") {
      var starts = unescapeLiteral(value.slice(1));
      if (starts !== null) return {field: m[1], op: "starts", value: starts};
    }
    var contains = unescapeLiteral(value);
    if (contains !== null) return {field: m[1], op: "contains", value: contains};
    return {field: m[1], op: "regex", value: value};
  }

  function parse(text, fields) {
    text = (text || "").trim();
    if (!text) return {joiner: "and", rows: []};
    var split = splitClauses(text);
    if (!split) return null;
    var rows = [];
    for (var i = 0; i < split.parts.length; i++) {
      var row = parseClause(split.parts[i], fields);
      if (!row) return null;
      rows.push(row);
    }
    return {joiner: split.joiner, rows: rows};
  }

  function clauseText(row, fields) {
    var kind = fields[row.field].kind, value = row.value == null ? "" : String(row.value);
    if (row.op === "true") return row.field;
    if (row.op === "false") return "not " + row.field;
    if (row.op === "has") return JSON.stringify(value) + " in " + row.field;
    if (kind === "number") return row.field + " " + row.op + " " + (value.replace(/[,，\s¥]/g, "") || "0");
    if (row.op === "starts") return row.field + " =~ " + JSON.stringify("^" + value.replace(META, "\\$&"));
    if (row.op === "contains") return row.field + " =~ " + JSON.stringify(value.replace(META, "\\$&"));
    if (row.op === "regex") return row.field + " =~ " + JSON.stringify(value);
    return row.field + " " + row.op + " " + JSON.stringify(value);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function setUp(textarea) {
    var config = JSON.parse(textarea.getAttribute("data-rule-builder"));
    var texts = config.texts, fields = {};
    config.fields.forEach(function (f) { fields[f.name] = f; });
    var state = {joiner: "and", rows: []};

    var box = el("div", {"class": "rule-builder", "id": "rule-builder"});
    var head = el("div", {"class": "rb-head"});
    head.appendChild(el("span", {}, texts.match));
    var joiner = el("select", {"class": "rb-joiner", "aria-label": texts.match});
    joiner.appendChild(el("option", {value: "and"}, texts.all));
    joiner.appendChild(el("option", {value: "or"}, texts.any));
    head.appendChild(joiner);
    box.appendChild(head);
    var rowsBox = el("div", {"class": "rb-rows"});
    box.appendChild(rowsBox);
    var empty = el("p", {"class": "rb-empty help"}, texts.empty);
    box.appendChild(empty);
    var add = el("button", {type: "button", "class": "button rb-add"}, "+ " + texts.add);
    box.appendChild(add);
    var cannot = el("div", {"class": "rb-cannot", hidden: "hidden"});
    cannot.appendChild(el("p", {"class": "errornote"}, texts.cannot));
    var restart = el("button", {type: "button", "class": "button rb-restart"}, texts.restart);
    cannot.appendChild(restart);
    // Under the textarea, the full width of the admin's row (its flex container wraps).
    textarea.parentNode.classList.add("rb-host");
    textarea.parentNode.insertBefore(cannot, textarea.nextSibling);
    textarea.parentNode.insertBefore(box, textarea.nextSibling);
    Object.keys(config.values || {}).forEach(function (name) {
      var list = el("datalist", {id: "rb-values-" + name});
      config.values[name].forEach(function (v) { list.appendChild(el("option", {value: v})); });
      box.appendChild(list);
    });

    function write() {
      textarea.value = state.rows.map(function (r) { return clauseText(r, fields); }).join(" " + state.joiner + " ");
    }

    function renderRow(row, index) {
      var line = el("div", {"class": "rb-row", "data-index": String(index)});
      var field = el("select", {"class": "rb-field", "aria-label": texts.field});
      config.fields.forEach(function (f) { field.appendChild(el("option", {value: f.name}, f.name + "（" + f.label + "）")); });
      field.value = row.field;
      var op = el("select", {"class": "rb-op", "aria-label": texts.operator});
      opsFor(fields[row.field].kind).forEach(function (o) { op.appendChild(el("option", {value: o}, texts.ops[o] || o)); });
      op.value = row.op;
      var kind = fields[row.field].kind;
      var value = el("input", {"class": "rb-value", "aria-label": texts.value, type: "text"});
      if (config.values[row.field]) value.setAttribute("list", "rb-values-" + row.field);
      if (kind === "number") value.setAttribute("inputmode", "decimal");
      value.value = row.value == null ? "" : row.value;
      if (kind === "boolean") value.hidden = true;
      var remove = el("button", {type: "button", "class": "button rb-remove", "aria-label": texts.remove}, "×");
      field.addEventListener("change", function () {
        row.field = field.value; row.op = opsFor(fields[row.field].kind)[0]; row.value = ""; render(); write();
      });
      op.addEventListener("change", function () { row.op = op.value; write(); });
      value.addEventListener("input", function () { row.value = value.value; write(); });
      remove.addEventListener("click", function () { state.rows.splice(index, 1); render(); write(); });
      [field, op, value, remove].forEach(function (n) { line.appendChild(n); });
      return line;
    }

    function render() {
      rowsBox.textContent = "";
      joiner.value = state.joiner;
      state.rows.forEach(function (row, i) { rowsBox.appendChild(renderRow(row, i)); });
      empty.hidden = state.rows.length > 0;
    }

    function load() {
      var parsed = parse(textarea.value, fields);
      box.hidden = !parsed;
      cannot.hidden = !!parsed;
      if (parsed) { state = parsed; render(); }
    }

    joiner.addEventListener("change", function () { state.joiner = joiner.value; write(); });
    add.addEventListener("click", function () {
      var first = config.fields[0];
      state.rows.push({field: first.name, op: opsFor(first.kind)[0], value: ""});
      render(); write();
      var fieldsNow = rowsBox.querySelectorAll(".rb-field");
      if (fieldsNow.length) fieldsNow[fieldsNow.length - 1].focus();
    });
    restart.addEventListener("click", function () { textarea.value = ""; load(); });
    textarea.addEventListener("input", load);
    load();
  }

  function start() { document.querySelectorAll("textarea[data-rule-builder]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
