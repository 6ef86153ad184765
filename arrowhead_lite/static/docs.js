// Renders /openapi.json as a list of operations grouped by tag; no external code.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete"];

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, value));
  children.forEach((child) => node.append(child));
  return node;
}

function resolve(spec, schema, depth) {
  // Replace $ref by the component it names, down to a fixed depth.
  if (!schema || typeof schema !== "object" || depth > 6) {
    return schema;
  }
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return resolve(spec, spec.components.schemas[name], depth + 1);
  }
  if (Array.isArray(schema)) {
    return schema.map((item) => resolve(spec, item, depth + 1));
  }
  const result = {};
  Object.entries(schema).forEach(([key, value]) => {
    result[key] = resolve(spec, value, depth + 1);
  });
  return result;
}

function schemaBlock(spec, content) {
  const [type, body] = Object.entries(content || {})[0] || [];
  if (!type) {
    return element("p", {}, "No body.");
  }
  return element("div", {}, element("p", {}, type),
    element("pre", {}, JSON.stringify(resolve(spec, body.schema, 0), null, 2)));
}

function operationView(spec, path, method, operation) {
  const body = element("div", {});
  body.append(element("p", {}, "Access: " + (operation["x-access"] || "")));

  if (operation.parameters && operation.parameters.length) {
    const table = element("table", {}, element("tr", {},
      element("th", {}, "name"), element("th", {}, "in"), element("th", {}, "type"),
      element("th", {}, "description")));
    operation.parameters.forEach((parameter) => table.append(element("tr", {},
      element("td", {}, parameter.name), element("td", {}, parameter.in),
      element("td", {}, (parameter.schema || {}).type || ""),
      element("td", {}, parameter.description || ""))));
    body.append(element("h4", {}, "Parameters"), table);
  }
  if (operation.requestBody) {
    body.append(element("h4", {}, "Request body"),
      schemaBlock(spec, operation.requestBody.content));
  }
  Object.entries(operation.responses || {}).forEach(([status, response]) => {
    body.append(element("h4", {}, status + " " + (response.description || "")),
      schemaBlock(spec, response.content));
  });

  const heading = element("summary", {},
    element("span", { class: "method " + method }, method.toUpperCase()), path,
    element("span", { class: "text" }, operation.summary || ""));
  const details = element("details", {}, heading, body);
  details.dataset.search = [path, method, operation.summary, (operation.tags || []).join(" ")]
    .join(" ").toLowerCase();
  return details;
}

function render(spec) {
  document.getElementById("title").textContent = spec.info.title + " " + spec.info.version;
  document.getElementById("summary").textContent = spec.info.description || "";
  const byTag = new Map();
  Object.entries(spec.paths).forEach(([path, item]) => {
    METHODS.filter((method) => item[method]).forEach((method) => {
      const tag = (item[method].tags || ["other"])[0];
      if (!byTag.has(tag)) {
        byTag.set(tag, []);
      }
      byTag.get(tag).push(operationView(spec, path, method, item[method]));
    });
  });
  const main = document.getElementById("operations");
  byTag.forEach((views, tag) => {
    main.append(element("h2", {}, tag));
    views.forEach((view) => main.append(view));
  });
}

document.getElementById("filter").addEventListener("input", (event) => {
  const text = event.target.value.toLowerCase();
  document.querySelectorAll("details").forEach((details) => {
    details.style.display = details.dataset.search.includes(text) ? "" : "none";
  });
});

fetch("openapi.json")
  .then((response) => response.json())
  .then(render)
  .catch((error) => {
    document.getElementById("summary").textContent = "Cannot load openapi.json: " + error;
  });
