import { initAll } from "/ui/assets/govuk-frontend.min.js";
initAll();
