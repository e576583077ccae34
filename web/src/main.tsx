import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { i18nReady } from "./i18n";
import "./styles.css";

// The reader's language (Korean is a chunk of its own) is loaded before the first render.
void i18nReady.then(() =>
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
