// The print button of the disclosure page (a file, not an onclick: the CSP allows no inline script).
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
