// The booth counter's camera: read a buyer's pickup QR code with the vendored jsQR (as the
// ticket scanner does), put it in the code field and send the form. Without a camera
// (or without JavaScript) the code is typed.
(function () {
  "use strict";
  var root = document.querySelector("[data-counter-camera]");
  var form = document.querySelector("[data-counter-form]");
  if (!root || !form) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof jsQR !== "function") {
    return;
  }
  root.hidden = false;
  var video = root.querySelector("[data-video]");
  var start = root.querySelector("[data-start]");
  var stop = root.querySelector("[data-stop]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var sent = false;

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function tick() {
    if (!stream || sent) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA && !document.hidden) {
      var scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data) {
        sent = true;
        form.elements.code.value = found.data.trim();
        stopCamera();
        form.submit();
        return;
      }
    }
    window.requestAnimationFrame(tick);
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        return video.play();
      })
      .then(function () { window.requestAnimationFrame(tick); })
      .catch(function () {
        stopCamera();
        window.alert(root.dataset.cameraError);
      });
  });
  stop.addEventListener("click", stopCamera);
  window.addEventListener("pagehide", stopCamera);
})();
