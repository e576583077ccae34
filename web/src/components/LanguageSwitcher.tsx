// The header's language switcher: 한국어 / English, each written in its own language (and
// marked with its `lang`) so a reader finds theirs whatever the page is in. The choice is
// remembered (localStorage) and wins over the browser's language from then on.

import { useTranslation } from "react-i18next";
import { chooseLanguage, language, LANGUAGES } from "../i18n";

export function LanguageSwitcher() {
  const { t } = useTranslation();
  const current = language();
  return (
    <div className="lang-switch" role="group" aria-label={t("language.label")} data-testid="language" data-lang={current}>
      {LANGUAGES.map((lng) => (
        <button
          key={lng}
          type="button"
          lang={lng}
          className="link"
          aria-pressed={current === lng}
          data-testid={`lang-${lng}`}
          onClick={() => void chooseLanguage(lng)}
        >
          {t(`language.${lng}`)}
        </button>
      ))}
    </div>
  );
}
