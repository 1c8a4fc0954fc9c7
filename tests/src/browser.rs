//! Headless Chromium driven through chromedriver (WebDriver) with fantoccini.
