"""Quality reviews of helpdesk conversations: rubrics, monthly samples, reviews, their
acknowledgement and disputes, and the QA score of a review and of a rep's month."""
