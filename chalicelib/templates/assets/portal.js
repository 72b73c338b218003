/* The portal's pages: sign-in, the order form, decisions behind approval links, and an order's history.
 *
 * Served through the page templates' loader, so this file must never contain a Jinja opening sequence
 * (two opening braces, or an opening brace followed by a percent or hash sign).
 * Order data is user input: it reaches the page only through textContent, never as HTML. */
(function () {
  "use strict";

  // sessionStorage, not localStorage: the token leaves with the tab, and each tab signs in on its own.
  const TOKEN_KEY = "service-orders.id_token";
  const AGENT_CASE_HANDLER = "AgentCaseHandler";
  const ORDERER = "Orderer";
  const ORDER_REFRESH_MS = 3000;

  const STEP_NAMES = {
    agent_approval: "Agent approval",
    agent_attestation: "Agent attestation",
    customer_attestation: "Customer attestation",
  };
  const STATUS_NAMES = {
    in_progress: "In progress",
    completed: "Completed",
    rejected: "Rejected",
    cancelled: "Cancelled",
    timed_out: "Timed out",
    needs_attention: "Needs attention",
  };
  const ACTION_NAMES = {
    submitted: "Submitted",
    step_opened: "Step opened",
    approved: "Approved",
    rejected: "Rejected",
    cancelled: "Cancelled",
    timed_out: "Timed out",
    case_created: "Case created",
    needs_attention: "Needs attention",
  };
  const SIGNING_METHODS = { sms_one_time_code: "One-time code by SMS" };
  const FLOW_NAMES = { direct: "direct connection", via_agent: "connection via agent" };
  // A care unit's HSA-id, as the API's document states it (ordering/model.py HsaId).
  const HSA_ID = /^SE[0-9]{10,12}-[A-Za-z0-9]{1,31}$/;

  const state = {
    me: null,
    pageReady: false,
    submitting: false,
    idempotencyKey: null,
    catalogue: null,
    refreshTimer: null,
  };

  class SignInNeeded extends Error {}

  // --- the DOM -----------------------------------------------------------------------------------

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (value === true) node.setAttribute(name, "");
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function showMessage(text, kind) {
    const area = $("#message");
    area.textContent = text || "";
    area.className = text ? "message " + (kind || "error") : "message";
  }

  function formatSek(amount) {
    return new Intl.NumberFormat("en-GB").format(amount) + " SEK";
  }

  function formatTime(iso) {
    if (!iso) return "–";
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return iso;
    // ISO-like and unambiguous for every reader.
    return when.toLocaleString("sv-SE", { dateStyle: "short", timeStyle: "short" });
  }

  function lastPathSegment() {
    const parts = window.location.pathname.split("/").filter(Boolean);
    return decodeURIComponent(parts[parts.length - 1] || "");
  }

  function orderLink(order) {
    return el("a", { href: "/orders/" + encodeURIComponent(order.order_id) }, "Order " + order.number);
  }

  // --- the API -----------------------------------------------------------------------------------

  async function api(method, path, body, headers) {
    const sent = Object.assign({ Accept: "application/json" }, headers || {});
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) sent.Authorization = "Bearer " + token;
    if (body !== undefined) sent["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: method,
        headers: sent,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch (error) {
      return { status: 0, body: { message: "The service could not be reached. Try again.", errors: [] } };
    }
    let answer = null;
    try {
      answer = await response.json();
    } catch (error) {
      answer = null;
    }
    // 401: no token. 403 with "Message" (capital M): the gateway refused an expired or invalid token.
    // A 403 with "message" is the product refusing a signed-in person, which the page shows instead.
    const signedOut = response.status === 401 || (response.status === 403 && answer && "Message" in answer);
    if (signedOut && path !== "/api/session") {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn("Your session has ended. Sign in again to continue where you were.");
      throw new SignInNeeded();
    }
    if (!answer || typeof answer !== "object") {
      answer = { message: "The service answered unexpectedly (" + response.status + "). Try again.", errors: [] };
    }
    return { status: response.status, body: answer };
  }

  async function apiOk(method, path, body) {
    const answer = await api(method, path, body);
    if (answer.status < 200 || answer.status >= 300) {
      showMessage(answer.body.message || "The request was refused.");
      return null;
    }
    return answer.body;
  }

  // --- errors next to fields ---------------------------------------------------------------------

  function clearErrors(form) {
    for (const slot of form.querySelectorAll("[data-error-for]")) {
      slot.textContent = "";
      slot.hidden = true;
    }
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }

  function errorSlot(form, field) {
    // "invoice.new.address" falls back to "invoice.new", then "invoice": the nearest slot that exists.
    let name = field || "";
    while (name) {
      const slot = form.querySelector('[data-error-for="' + CSS.escape(name) + '"]');
      if (slot) return slot;
      const cut = name.lastIndexOf(".");
      if (cut < 0) break;
      name = name.slice(0, cut);
    }
    return null;
  }

  function sentence(reason) {
    const text = String(reason || "").replace(/^Value error, /, "");
    return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
  }

  function showErrors(form, problem) {
    clearErrors(form);
    const elsewhere = [];
    let first = null;
    for (const error of problem.errors || []) {
      const slot = errorSlot(form, error.field);
      if (!slot) {
        elsewhere.push(sentence(error.reason));
        continue;
      }
      slot.textContent = (slot.textContent ? slot.textContent + " " : "") + sentence(error.reason);
      slot.hidden = false;
      const input = form.querySelector('[aria-describedby~="' + CSS.escape(slot.id) + '"]');
      if (input) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
    }
    const general = problem.message || "The request was refused.";
    showMessage(elsewhere.length ? general + " " + elsewhere.join(" ") : general);
    if (first) first.focus();
  }

  // --- signing in --------------------------------------------------------------------------------

  function showSignIn(notice) {
    stopRefreshing();
    show($("#content"), false);
    show($("#account"), false);
    show($("#site-nav"), false);
    show($("#sign-in"), true);
    $("#sign-in-notice").textContent =
      notice ||
      (document.body.dataset.page === "approval"
        ? "Sign in to see the order this link leads to."
        : "Sign in with your username and password.");
    $("#password").value = "";
    $("#username").focus();
  }

  async function signIn() {
    const form = $("#sign-in-form");
    const button = $("#sign-in-button");
    clearErrors(form);
    showMessage("");
    const username = $("#username").value.trim();
    const password = $("#password").value;
    const missing = [];
    if (!username) missing.push({ field: "username", reason: "Enter your username" });
    if (!password) missing.push({ field: "password", reason: "Enter your password" });
    if (missing.length) {
      showErrors(form, { message: "Enter your username and password.", errors: missing });
      return;
    }
    button.disabled = true;
    try {
      const answer = await api("POST", "/api/session", { username: username, password: password });
      if (answer.status !== 200) {
        showErrors(form, answer.body);
        $("#password").value = "";
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, answer.body.id_token);
      $("#password").value = "";
      show($("#sign-in"), false);
      await enter();
    } finally {
      button.disabled = false;
    }
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    // A reload forgets everything the page showed the person who signed out.
    window.location.reload();
  }

  async function enter() {
    const me = await apiOk("GET", "/api/me");
    if (!me) return;
    if (state.me && state.me.user_id !== me.user_id) {
      // Someone else signed in on a page showing the previous person's data: start afresh.
      window.location.reload();
      return;
    }
    state.me = me;
    const organisation = me.organisation ? ", " + me.organisation.name : "";
    $("#signed-in-as").textContent = "Signed in as " + me.name + organisation;
    show($("#account"), true);
    show($("#nav-agent-queue"), me.roles.includes(AGENT_CASE_HANDLER));
    show($("#site-nav"), true);
    show($("#content"), true);
    showMessage("");
    // The home page lists the pending steps and counts them in the same request.
    await Promise.all(document.body.dataset.page === "home" ? [renderPage()] : [renderPage(), refreshPendingCount()]);
  }

  async function refreshPendingCount() {
    // R-ORD-6: every pending step shows in the portal, not only in the e-mail.
    const answer = await api("GET", "/api/pending");
    const count = answer.status === 200 ? answer.body.pending.length : 0;
    const more = answer.status === 200 && answer.body.next ? "+" : "";
    $("#pending-count").textContent = count ? "(" + count + more + ")" : "";
    return answer.status === 200 ? answer.body : null;
  }

  function renderPage() {
    const page = document.body.dataset.page;
    if (page === "home") return renderHome();
    if (page === "approval") return renderApproval();
    if (page === "order") return renderOrder();
    return Promise.resolve();
  }

  // --- the order form (seed 000 step 3) ----------------------------------------------------------

  function newIdempotencyKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  function chosenOffering() {
    const id = $("#offering").value;
    return (state.catalogue && state.catalogue.offerings.find((offering) => offering.offering_id === id)) || null;
  }

  function careUnitCount() {
    const raw = $("#care-unit-count").value.trim();
    const count = Number(raw);
    return /^[0-9]+$/.test(raw) && count >= 1 && count <= 1000 ? count : null;
  }

  function buildOrderForm(catalogue, me) {
    state.catalogue = catalogue;
    const offeringSelect = $("#offering");
    const services = new Map();
    for (const offering of catalogue.offerings) {
      if (!services.has(offering.service_name)) services.set(offering.service_name, []);
      services.get(offering.service_name).push(offering);
    }
    for (const [serviceName, offerings] of services) {
      const group = el("optgroup", { label: serviceName });
      for (const offering of offerings) {
        // R-ORD-9: the catalogue's flow is shown, whatever the offering's name suggests.
        group.append(
          el("option", { value: offering.offering_id }, offering.name + " (" + FLOW_NAMES[offering.flow] + ")")
        );
      }
      offeringSelect.append(group);
    }

    const sourceSystems = [...new Set(catalogue.agents.flatMap((agent) => agent.source_systems))].sort();
    for (const system of sourceSystems) $("#source-system").append(el("option", { value: system }, system));

    const saved = (me.organisation && me.organisation.invoice_details) || [];
    saved.forEach((details, index) => {
      const id = "invoice-saved-" + index;
      $("#saved-invoices").append(
        el(
          "div",
          { class: "check" },
          el("input", { type: "radio", id: id, name: "invoice", value: details.invoice_id }),
          el("label", { for: id }, details.address + " (invoice reference " + details.reference + ")")
        )
      );
    });

    for (const attester of me.attesters) {
      $("#attester").append(el("option", { value: attester.user_id }, attester.name));
    }

    offeringSelect.addEventListener("change", offeringChanged);
    $("#care-unit-count").addEventListener("input", careUnitCountChanged);
    $("#source-system").addEventListener("change", sourceSystemChanged);
    for (const radio of document.querySelectorAll('input[name="invoice"]')) {
      radio.addEventListener("change", invoiceChanged);
    }
    $("#order-form").addEventListener("submit", (event) => {
      event.preventDefault();
      run(submitOrder);
    });
    resetOrderForm();
  }

  function resetOrderForm() {
    const form = $("#order-form");
    form.reset();
    clearErrors(form);
    state.idempotencyKey = newIdempotencyKey();
    $("#care-unit-names").replaceChildren();
    $("#care-unit-count").value = "1";
    const firstSaved = $("#saved-invoices input");
    (firstSaved || $("#invoice-new")).checked = true;
    offeringChanged();
    careUnitCountChanged();
    invoiceChanged();
  }

  function offeringChanged() {
    const offering = chosenOffering();
    const viaAgent = Boolean(offering && offering.flow === "via_agent");
    show($("#via-agent"), viaAgent);
    $("#offering-flow").textContent = !offering
      ? ""
      : viaAgent
        ? "Via agent: your journal system's vendor reviews and attests the order, then your attester signs it."
        : "Direct connection: your attester signs the order, then customer service contacts you.";

    const questions = offering ? offering.declaration_questions : [];
    const list = $("#declaration-questions");
    list.replaceChildren();
    for (const question of questions) {
      const id = "declaration-" + question.question_id;
      const errorId = "error-" + id;
      list.append(
        el(
          "div",
          { class: "check" },
          el("input", {
            type: "checkbox",
            id: id,
            "data-question-id": question.question_id,
            "aria-describedby": errorId,
          }),
          el("label", { for: id }, question.text.en)
        ),
        el("p", {
          id: errorId,
          class: "field-error",
          "data-error-for": "declarations." + question.question_id,
          hidden: true,
        })
      );
    }
    $("#declarations-hint").textContent = !offering
      ? "Choose an offering to see its declarations."
      : questions.length
        ? "Read each statement and tick it."
        : "This offering asks for no declarations.";
    updatePrice();
  }

  function careUnitCountChanged() {
    const count = careUnitCount();
    const list = $("#care-unit-names");
    if (count !== null) {
      // Added or removed at the end, so names already typed stay where they are.
      while (list.children.length < count) {
        const index = list.children.length;
        const id = "care-unit-" + (index + 1);
        const hsaId = "care-unit-hsa-id-" + (index + 1);
        const errorId = "error-" + id;
        list.append(
          el(
            "li",
            { class: "field" },
            el("label", { for: id }, "Name of care unit " + (index + 1)),
            el("input", { id: id, class: "care-unit-name", "aria-describedby": errorId }),
            el("label", { for: hsaId }, "HSA-id of care unit " + (index + 1)),
            el("input", { id: hsaId, class: "care-unit-hsa-id", "aria-describedby": errorId }),
            el("p", { id: errorId, class: "field-error", "data-error-for": "care_units." + index, hidden: true })
          )
        );
      }
      while (list.children.length > count) list.lastElementChild.remove();
    }
    updatePrice();
  }

  function sourceSystemChanged() {
    const system = $("#source-system").value;
    const agentSelect = $("#agent");
    const previous = agentSelect.value;
    const fitting = state.catalogue.agents.filter((agent) => agent.source_systems.includes(system));
    agentSelect.replaceChildren(el("option", { value: "" }, system ? "Choose the agent…" : "Choose a source system first"));
    for (const agent of fitting) agentSelect.append(el("option", { value: agent.org_id }, agent.name));
    if (fitting.some((agent) => agent.org_id === previous)) agentSelect.value = previous;
    else if (fitting.length === 1) agentSelect.value = fitting[0].org_id;
  }

  function invoiceChanged() {
    show($("#new-invoice"), $("#invoice-new").checked);
  }

  function updatePrice() {
    // R-ORD-1: the price, and what splitting would cost, is visible before the order is submitted.
    const offering = chosenOffering();
    const count = careUnitCount();
    if (!offering) {
      $("#price-start-up-fee").textContent = "Choose an offering to see the price.";
      $("#price-care-units").textContent = "–";
      $("#price-total").textContent = "–";
      return;
    }
    $("#price-start-up-fee").textContent = formatSek(offering.start_up_fee);
    if (count === null) {
      $("#price-care-units").textContent = formatSek(offering.price_per_care_unit) + " per care unit";
      $("#price-total").textContent = "–";
      return;
    }
    const unitsTotal = offering.price_per_care_unit * count;
    $("#price-care-units").textContent =
      count + " × " + formatSek(offering.price_per_care_unit) + " = " + formatSek(unitsTotal);
    $("#price-total").textContent = formatSek(offering.start_up_fee + unitsTotal);
  }

  function orderProblems() {
    const problems = [];
    const offering = chosenOffering();
    if (!offering) problems.push({ field: "offering_id", reason: "Choose an offering" });
    const count = careUnitCount();
    if (count === null) problems.push({ field: "care_units", reason: "Enter a whole number from 1 to 1000" });
    const seen = new Set();
    const seenHsaIds = new Set();
    document.querySelectorAll(".care-unit-name").forEach((input, index) => {
      const name = input.value.trim();
      if (!name) problems.push({ field: "care_units." + index, reason: "Enter the care unit's name" });
      else if (seen.has(name.toLocaleLowerCase())) {
        problems.push({ field: "care_units." + index, reason: "Each care unit may be named only once" });
      }
      seen.add(name.toLocaleLowerCase());
    });
    document.querySelectorAll(".care-unit-hsa-id").forEach((input, index) => {
      const hsaId = input.value.trim();
      if (!HSA_ID.test(hsaId)) {
        problems.push({ field: "care_units." + index, reason: "Enter the care unit's HSA-id, as SE2321000016-15CQ" });
      } else if (seenHsaIds.has(hsaId.toLocaleLowerCase())) {
        problems.push({ field: "care_units." + index, reason: "Each HSA-id may be given only once" });
      }
      seenHsaIds.add(hsaId.toLocaleLowerCase());
    });
    if (offering && offering.flow === "via_agent") {
      if (!$("#source-system").value) problems.push({ field: "source_system", reason: "Choose the source system" });
      if (!$("#agent").value) problems.push({ field: "agent_org_id", reason: "Choose the agent" });
    }
    for (const box of document.querySelectorAll("#declaration-questions input")) {
      if (!box.checked) {
        problems.push({ field: "declarations." + box.dataset.questionId, reason: "Tick this declaration" });
      }
    }
    if ($("#invoice-new").checked) {
      if (!$("#invoice-address").value.trim()) {
        problems.push({ field: "invoice.new.address", reason: "Enter the invoice address" });
      }
      if (!$("#invoice-reference").value.trim()) {
        problems.push({ field: "invoice.new.reference", reason: "Enter the invoice reference" });
      }
    } else if (!$('#saved-invoices input:checked')) {
      problems.push({ field: "invoice", reason: "Choose the invoice details" });
    }
    if (!$("#attester").value) problems.push({ field: "attester_id", reason: "Choose the attester" });
    if (!$("#terms").checked) problems.push({ field: "terms_accepted", reason: "Accept the terms to order" });
    return problems;
  }

  function orderBody() {
    const offering = chosenOffering();
    const declarations = {};
    for (const box of document.querySelectorAll("#declaration-questions input")) {
      declarations[box.dataset.questionId] = box.checked;
    }
    const body = {
      offering_id: offering.offering_id,
      care_units: Array.from(document.querySelectorAll("#care-unit-names li"), (item) => ({
        name: item.querySelector(".care-unit-name").value.trim(),
        hsa_id: item.querySelector(".care-unit-hsa-id").value.trim(),
      })),
      declarations: declarations,
      invoice: $("#invoice-new").checked
        ? { kind: "new", address: $("#invoice-address").value.trim(), reference: $("#invoice-reference").value.trim() }
        : { kind: "saved", invoice_id: $("#saved-invoices input:checked").value },
      attester_id: $("#attester").value,
      terms_accepted: true,
      terms_version: state.catalogue.terms_version,
    };
    if (offering.flow === "via_agent") {
      body.source_system = $("#source-system").value;
      body.agent_org_id = $("#agent").value;
    }
    return body;
  }

  async function submitOrder() {
    if (state.submitting) return;
    const form = $("#order-form");
    const button = $("#submit-order");
    showMessage("");
    const problems = orderProblems();
    if (problems.length) {
      showErrors(form, { message: "Some answers need your attention before the order can be sent.", errors: problems });
      return;
    }
    clearErrors(form);
    // Disabled before the request leaves, so a double click sends one order; the key makes a retry safe too.
    state.submitting = true;
    button.disabled = true;
    button.textContent = "Submitting…";
    try {
      const answer = await api("POST", "/api/orders", orderBody(), { "Idempotency-Key": state.idempotencyKey });
      if (answer.status !== 201) {
        showErrors(form, answer.body);
        return;
      }
      const order = answer.body;
      const done = $("#order-submitted");
      done.replaceChildren(
        el("p", {}, "Order " + order.number + " is submitted. We have asked the next person in the chain to act."),
        el("p", {}, el("a", { href: "/orders/" + encodeURIComponent(order.order_id) }, "Open order " + order.number))
      );
      show(done, true);
      resetOrderForm();
      await loadMyOrders();
      done.scrollIntoView({ block: "nearest" });
    } finally {
      state.submitting = false;
      button.disabled = false;
      button.textContent = "Submit order";
    }
  }

  // --- the lists on the home page ----------------------------------------------------------------

  function table(headings, rows, emptyText) {
    if (!rows.length) return el("p", { class: "hint" }, emptyText);
    const head = el("tr", {});
    for (const heading of headings) head.append(el("th", { scope: "col" }, heading));
    const body = el("tbody", {});
    for (const cells of rows) {
      const row = el("tr", {});
      for (const cell of cells) row.append(el("td", {}, cell));
      body.append(row);
    }
    return el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, head), body));
  }

  function appendRows(wrap, rows) {
    const body = wrap.querySelector("tbody");
    for (const cells of rows) {
      const row = el("tr", {});
      for (const cell of cells) row.append(el("td", {}, cell));
      body.append(row);
    }
  }

  // Lists come a page at a time, newest first; "Show more" asks for the next page and adds its rows.
  function pagedList(container, first, path, name, headings, toRows, emptyText) {
    const wrap = table(headings, toRows(first[name]), emptyText);
    const more = el("button", { type: "button", class: "secondary" }, "Show more");
    let cursor = first.next;
    more.addEventListener("click", () =>
      run(async () => {
        const separator = path.includes("?") ? "&" : "?";
        const answer = await apiOk("GET", path + separator + "cursor=" + encodeURIComponent(cursor));
        if (!answer) return;
        appendRows(wrap, toRows(answer[name]));
        cursor = answer.next;
        show(more, Boolean(cursor));
      })
    );
    show(more, Boolean(cursor));
    container.replaceChildren(wrap, more);
  }

  function orderRows(orders) {
    return orders.map((order) => [
      orderLink(order),
      order.customer_name,
      order.offering_name,
      STATUS_NAMES[order.status] || order.status,
      order.current_step ? STEP_NAMES[order.current_step] : "–",
      formatTime(order.created_at),
    ]);
  }

  const ORDER_HEADINGS = ["Order", "Customer", "Offering", "Status", "Waiting for", "Submitted"];

  async function loadMyOrders() {
    const path = "/api/orders?scope=mine";
    const answer = await apiOk("GET", path);
    if (!answer) return;
    pagedList($("#my-orders-list"), answer, path, "orders", ORDER_HEADINGS, orderRows, "You have not submitted any orders.");
  }

  async function loadPending() {
    const first = await refreshPendingCount();
    if (!first) return;
    const rows = (pending) =>
      pending.map((item) => [
        orderLink(item),
        STEP_NAMES[item.step] || item.step,
        item.customer_name,
        item.offering_name,
        formatTime(item.since),
      ]);
    const headings = ["Order", "Step", "Customer", "Offering", "Waiting since"];
    pagedList($("#pending-list"), first, "/api/pending", "pending", headings, rows, "Nothing waits for you.");
  }

  async function loadAgentQueue() {
    // R-ORD-7: the agent's case handlers see every customer order that needs the agent.
    const path = "/api/agent/queue";
    const answer = await apiOk("GET", path);
    if (!answer) return;
    const empty = "No customer order waits for your organisation.";
    pagedList($("#agent-queue-list"), answer, path, "orders", ORDER_HEADINGS, orderRows, empty);
  }

  async function renderHome() {
    const me = state.me;
    const orderer = me.roles.includes(ORDERER);
    const handler = me.roles.includes(AGENT_CASE_HANDLER);
    show($("#not-an-orderer"), !orderer);
    show($("#agent-queue"), handler);
    const work = [loadPending(), loadMyOrders()];
    if (handler) work.push(loadAgentQueue());
    if (orderer && !state.pageReady) {
      work.push(
        apiOk("GET", "/api/catalogue").then((catalogue) => {
          if (!catalogue || state.pageReady) return;
          buildOrderForm(catalogue, me);
          state.pageReady = true;
          show($("#order-form"), true);
        })
      );
    }
    await Promise.all(work);
  }

  // --- an order, as the approval page and the order page show it ---------------------------------

  function detailRow(list, term, ...values) {
    list.append(el("dt", {}, term), el("dd", {}, ...values));
  }

  function itemList(items) {
    const list = el("ul", { class: "plain" });
    for (const item of items) list.append(el("li", {}, item));
    return list;
  }

  function orderDetails(order) {
    const list = el("dl", { class: "details" });
    detailRow(list, "Order number", order.number);
    detailRow(list, "Status", STATUS_NAMES[order.status] || order.status);
    detailRow(list, "Waiting for", order.current_step ? STEP_NAMES[order.current_step] : "–");
    if (order.case_number) detailRow(list, "Case number", order.case_number);
    if (order.outcome_reason) detailRow(list, "Reason", order.outcome_reason);
    detailRow(list, "Customer", order.customer_name);
    detailRow(list, "Orderer", order.orderer_name);
    detailRow(list, "Submitted", formatTime(order.created_at));
    detailRow(list, "Service", order.offering.service_name);
    detailRow(list, "Offering", order.offering.name + " (" + FLOW_NAMES[order.flow] + ")");
    detailRow(
      list,
      "Care units (" + order.care_units.length + ")",
      itemList(order.care_units.map((unit) => unit.name + " (" + unit.hsa_id + ")"))
    );
    if (order.flow === "via_agent") {
      detailRow(list, "Source system", order.source_system || "–");
      detailRow(list, "Agent", order.agent_name || order.agent_org_id || "–");
    }
    const questions = order.offering.declaration_questions || [];
    detailRow(
      list,
      "Declarations",
      questions.length
        ? itemList(
            questions.map(
              (question) => (order.declarations[question.question_id] ? "Ticked: " : "Not ticked: ") + question.text.en
            )
          )
        : "None asked for this offering"
    );
    detailRow(list, "Invoice address", order.invoice.address);
    detailRow(list, "Invoice reference", order.invoice.reference);
    detailRow(list, "Start-up fee", formatSek(order.price.start_up_fee));
    detailRow(
      list,
      "Care units price",
      order.price.care_unit_count +
        " × " +
        formatSek(order.price.price_per_care_unit) +
        " = " +
        formatSek(order.price.care_unit_count * order.price.price_per_care_unit)
    );
    detailRow(list, "Total", formatSek(order.price.total));
    const review = order.agent_review;
    if (review) {
      detailRow(list, "Agent's declaration", review.declaration_accepted ? "Certified by the agent" : "Not certified");
      detailRow(list, "Agent invoice address", review.invoice.address);
      detailRow(list, "Agent invoice reference", review.invoice.reference);
      detailRow(list, "Agent attester", review.attester_name);
      detailRow(list, "Reviewed by", review.handler_name);
    }
    return list;
  }

  // --- the approval page -------------------------------------------------------------------------

  function approvalPath() {
    return "/api/approvals/" + encodeURIComponent(lastPathSegment());
  }

  function setupDecisionForms(view) {
    const agentForm = $("#agent-approval-form");
    const attestationForm = $("#attestation-form");
    if (!state.pageReady) {
      for (const attester of view.agent_attesters || []) {
        $("#agent-attester").append(el("option", { value: attester.user_id }, attester.name));
      }
      agentForm.addEventListener("submit", (event) => {
        event.preventDefault();
        run(() => decideAgentApproval(event.submitter ? event.submitter.value : "approve"));
      });
      attestationForm.addEventListener("submit", (event) => {
        event.preventDefault();
        run(() => decideAttestation(event.submitter ? event.submitter.value : "approve"));
      });
      $("#send-code").addEventListener("click", () => run(sendCode));
      state.pageReady = true;
    }
    const open = view.state === "open";
    show(agentForm, open && view.step === "agent_approval");
    show(attestationForm, open && view.needs_one_time_code);
  }

  async function renderApproval() {
    const answer = await api("GET", approvalPath());
    const stateNote = $("#approval-state");
    if (answer.status !== 200) {
      // 403 here: the link was sent to someone else (R-ORD-5). Nothing of the order is shown.
      const hint =
        answer.status === 403
          ? " Sign out and sign in as the person the e-mail was sent to."
          : answer.status === 404 || answer.status === 422
            ? " Check that you opened the whole link from the e-mail."
            : "";
      stateNote.textContent = (answer.body.message || "This link cannot be opened.") + hint;
      stateNote.className = "notice warning";
      show(stateNote, true);
      show($("#approval-order"), false);
      show($("#agent-approval-form"), false);
      show($("#attestation-form"), false);
      return;
    }
    const view = answer.body;
    const order = view.order;
    $("#approval-heading").textContent = STEP_NAMES[view.step] + " of order " + order.number;
    $("#order-details").replaceChildren(orderDetails(order));
    show($("#approval-order"), true);
    if (view.state === "open") {
      stateNote.textContent =
        (view.needs_one_time_code
          ? "This order waits for your attestation. "
          : "This order waits for your review as the agent. ") +
        "Decide before " +
        formatTime(view.expires_at) +
        ".";
      stateNote.className = "notice";
    } else {
      stateNote.replaceChildren(
        view.state === "decided"
          ? "This step has already been decided (" + (view.outcome || "decided") + "). Nothing more to do here. "
          : "This link no longer works: the step has expired, a newer link replaced it, or the order has ended. ",
        orderLink(order)
      );
      stateNote.className = "notice warning";
    }
    show(stateNote, true);
    setupDecisionForms(view);
  }

  async function sendCode() {
    const form = $("#attestation-form");
    const button = $("#send-code");
    clearErrors(form);
    showMessage("");
    button.disabled = true;
    try {
      const answer = await api("POST", approvalPath() + "/code");
      if (answer.status !== 202) {
        showErrors(form, answer.body);
        return;
      }
      $("#code-sent").textContent =
        "Code sent to " + answer.body.sent_to + ". It is valid until " + formatTime(answer.body.expires_at) + ".";
      button.textContent = "Send me a new code";
      $("#one-time-code").focus();
    } finally {
      button.disabled = false;
    }
  }

  async function decideAgentApproval(decision) {
    const form = $("#agent-approval-form");
    const reason = $("#agent-reason").value.trim();
    const problems = [];
    const body = { decision: decision };
    if (decision === "reject") {
      // R-ORD-3: the orderer is told why, so a rejection needs a reason.
      if (!reason) problems.push({ field: "reason", reason: "Give the reason for rejecting; the orderer is told" });
      body.reason = reason;
    } else {
      const review = {
        declaration_accepted: $("#agent-declaration").checked,
        invoice: {
          kind: "new",
          address: $("#agent-invoice-address").value.trim(),
          reference: $("#agent-invoice-reference").value.trim(),
        },
        attester_id: $("#agent-attester").value,
      };
      if (!review.declaration_accepted) {
        problems.push({ field: "agent_review.declaration_accepted", reason: "Tick the declaration to approve" });
      }
      if (!review.invoice.address) {
        problems.push({ field: "agent_review.invoice_address", reason: "Enter the agent's invoice address" });
      }
      if (!review.invoice.reference) {
        problems.push({ field: "agent_review.invoice_reference", reason: "Enter the agent's invoice reference" });
      }
      if (!review.attester_id) problems.push({ field: "agent_review.attester_id", reason: "Choose the attester" });
      if (reason) body.reason = reason;
      body.agent_review = review;
    }
    await sendDecision(form, body, problems);
  }

  async function decideAttestation(decision) {
    const form = $("#attestation-form");
    const code = $("#one-time-code").value.trim();
    const reason = $("#attestation-reason").value.trim();
    const problems = [];
    // R-ORD-4: attesting, and cancelling too, is signed with the one-time code.
    if (!/^[0-9]{6}$/.test(code)) {
      problems.push({ field: "one_time_code", reason: "Enter the 6-digit code from the SMS; ask for one first" });
    }
    const body = { decision: decision, one_time_code: code };
    if (decision === "reject" && !reason) {
      problems.push({ field: "reason", reason: "Give the reason for cancelling; the orderer is told" });
    }
    if (reason) body.reason = reason;
    await sendDecision(form, body, problems);
  }

  async function sendDecision(form, body, problems) {
    showMessage("");
    if (problems.length) {
      showErrors(form, { message: "Some answers need your attention.", errors: problems });
      return;
    }
    clearErrors(form);
    const buttons = form.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      const answer = await api("POST", approvalPath() + "/decision", body);
      if (answer.status === 409 || answer.status === 410) {
        showMessage(answer.body.message);
        await renderApproval();
        return;
      }
      if (answer.status !== 200) {
        showErrors(form, answer.body);
        return;
      }
      const result = answer.body;
      show(form, false);
      show($("#approval-state"), false);
      const approved = result.outcome === "approved";
      const verb = approved ? "approved" : result.step === "agent_approval" ? "rejected" : "cancelled";
      const done = $("#decision-result");
      done.replaceChildren(
        el(
          "p",
          {},
          "You " +
            verb +
            " the order (" +
            STEP_NAMES[result.step] +
            "). " +
            (approved ? "It goes on to the next step." : "The order has ended and the orderer is told why.")
        ),
        el("p", {}, el("a", { href: "/orders/" + encodeURIComponent(result.order_id) }, "Open the order"))
      );
      show(done, true);
      done.focus();
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  // --- the order page (R-ORD-8) ------------------------------------------------------------------

  function stopRefreshing() {
    if (state.refreshTimer) window.clearTimeout(state.refreshTimer);
    state.refreshTimer = null;
  }

  async function renderOrder() {
    stopRefreshing();
    const orderId = lastPathSegment();
    if (!/^[0-9a-f]{32}$/.test(orderId)) {
      showMessage("This is not a link to an order.");
      return;
    }
    const answer = await api("GET", "/api/orders/" + orderId);
    if (answer.status !== 200) {
      showMessage(answer.body.message || "The order cannot be shown.");
      return;
    }
    const order = answer.body.order;
    $("#order-heading").textContent = "Order " + order.number;
    $("#order-details").replaceChildren(orderDetails(order));
    const rows = answer.body.history.map((event) =>
      el(
        "tr",
        {},
        el("td", {}, formatTime(event.at)),
        el("td", {}, event.actor_name),
        el("td", {}, ACTION_NAMES[event.action] || event.action),
        el("td", {}, event.step ? STEP_NAMES[event.step] : "–"),
        el("td", {}, event.signing_method ? SIGNING_METHODS[event.signing_method] || event.signing_method : "–"),
        el("td", {}, event.note || "")
      )
    );
    $("#history tbody").replaceChildren(...rows);
    show($("#order-section"), true);
    show($("#history-section"), true);
    const inProgress = order.status === "in_progress";
    show($("#order-refresh"), inProgress);
    if (inProgress) {
      // The chain moves on in other people's hands; the orderer watches it without reloading.
      state.refreshTimer = window.setTimeout(() => run(renderOrder), ORDER_REFRESH_MS);
    }
  }

  // --- start -------------------------------------------------------------------------------------

  function run(task) {
    return Promise.resolve()
      .then(task)
      .catch((error) => {
        if (error instanceof SignInNeeded) return;
        showMessage("Something went wrong on this page. Reload it and try again.");
        if (window.console) console.error(error);
      });
  }

  $("#sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run(signIn);
  });
  $("#sign-out").addEventListener("click", signOut);
  if (sessionStorage.getItem(TOKEN_KEY)) run(enter);
  else showSignIn();
})();
