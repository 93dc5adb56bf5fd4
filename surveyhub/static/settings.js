// The settings page's Copy buttons: each copies the text of the element its data-copy names.
// Without a clipboard (an insecure origin, an old browser) the buttons stay hidden; the text is selectable.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = button.dataset.copied;
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();
