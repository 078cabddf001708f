// A page with a playing video: the recipe of docs/migrating-from-django-session-security.md.
// Where django-session-security pages called sessionSecurity.activity() while a video
// played, this one calls window.sessionsLive.activity() (throttled by the client).
const video = document.querySelector("video[data-watch]");
const canvas = document.createElement("canvas");
canvas.width = 64;
canvas.height = 48;
const paint = canvas.getContext("2d");
let frame = 0;
// A generated stream, so the test needs no media file: a colour that changes every frame.
function draw() {
  paint.fillStyle = `hsl(${(frame += 3) % 360} 80% 50%)`;
  paint.fillRect(0, 0, canvas.width, canvas.height);
  requestAnimationFrame(draw);
}
draw();
video.srcObject = canvas.captureStream(30);
video.addEventListener("timeupdate", () => window.sessionsLive?.activity());
video.play();
