// Whether a chart is on screen: one IntersectionObserver for every chart. A chart off screen
// keeps its data and draws it when it scrolls into view, so a live tick does not repaint
// canvases nobody sees. Until the observer's first answer a chart counts as visible.

const watched = new Map();  // element -> {visible, onShow}
let observer = null;

function observerOf() {
  if (!observer) {
    observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const state = watched.get(entry.target);
        if (!state) continue;
        const was = state.visible;
        state.visible = entry.isIntersecting;
        if (!was && state.visible) state.onShow();
      }
    }, { rootMargin: "200px 0px" });
  }
  return observer;
}

// Watches element; onShow() runs when it comes into view. Returns {visible(), release()}.
export function watchVisibility(element, onShow) {
  const state = { visible: true, onShow };
  watched.set(element, state);
  observerOf().observe(element);
  return {
    visible: () => state.visible,
    release: () => {
      watched.delete(element);
      observerOf().unobserve(element);
    },
  };
}
