// Theme toggle (kept in a cookie so the server renders the chosen theme) and toast expiry.
(function () {
  function setTheme(theme) {
    document.documentElement.setAttribute("data-theme", theme);
    document.cookie = "theme=" + theme + ";path=/;max-age=31536000;samesite=lax";
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-theme-toggle]");
    if (!button) return;
    var current = document.documentElement.getAttribute("data-theme");
    if (current === "auto" || !current) {
      current = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    }
    setTheme(current === "dark" ? "light" : "dark");
  });
  // Destructive forms ask first; without JavaScript the server-side confirm pages still apply.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // A value to copy (a new token) is selected whole when it gets focus.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });
  function expireToasts(root) {
    root.querySelectorAll(".toast:not([data-timer])").forEach(function (toast) {
      toast.setAttribute("data-timer", "1");
      setTimeout(function () { toast.remove(); }, 8000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { expireToasts(document); });
  document.addEventListener("htmx:afterSwap", function () { expireToasts(document); });
})();
